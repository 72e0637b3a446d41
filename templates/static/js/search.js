/* Search the topics, in the browser: the index comes from this site, nothing is sent anywhere.
 * Results are built with DOM calls only (never innerHTML), so page text cannot inject markup. */
(function () {
  "use strict";

  var input = document.getElementById("search-input");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!input || !list || !status) {
    return;
  }
  var pages = [];
  var WEIGHTS = { title: 8, headings: 4, summary: 3, text: 1 };

  /* Both the index and the query are folded the same way, so a word is found with or
   * without its accents ("nutricion" finds "nutrición"): lower case, then each letter split
   * from its marks (NFD) and the marks dropped. Words are letters and digits of any script. */
  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
  }

  function words(text) {
    return fold(text).split(/[^\p{L}\p{N}]+/u).filter(function (word) { return word.length > 1; });
  }

  function prepare(page) {
    return {
      page: page,
      fields: {
        title: fold(page.title),
        headings: fold(page.headings.join(" ")),
        summary: fold(page.summary),
        text: fold(page.text)
      }
    };
  }

  function count(haystack, word) {
    var found = 0;
    var at = haystack.indexOf(word);
    while (at !== -1) {
      found += 1;
      at = haystack.indexOf(word, at + word.length);
    }
    return found;
  }

  function score(entry, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i += 1) {
      var termScore = 0;
      for (var field in WEIGHTS) {
        termScore += WEIGHTS[field] * Math.min(count(entry.fields[field], terms[i]), 5);
      }
      if (termScore === 0) {
        return 0;  /* every word must appear somewhere */
      }
      total += termScore;
    }
    return total;
  }

  function snippet(page, terms) {
    var text = page.text;
    var folded = fold(text);
    var at = folded.indexOf(terms[0]);
    if (at === -1) {
      return page.summary;
    }
    var start = Math.max(0, folded.lastIndexOf(". ", at) + 2);
    var end = folded.indexOf(". ", at);
    return text.slice(start, end === -1 ? start + 200 : end + 1);
  }

  function say(key, query, found) {
    status.textContent = status.dataset[key]
      .replace("{query}", query)
      .replace("{count}", String(found));
  }

  function show(query) {
    var terms = words(query);
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    if (terms.length === 0) {
      say("empty", query, 0);
      return;
    }
    var ranked = pages
      .map(function (entry) { return { entry: entry, score: score(entry, terms) }; })
      .filter(function (hit) { return hit.score > 0; })
      .sort(function (a, b) { return b.score - a.score; });
    ranked.forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = hit.entry.page.url;
      link.textContent = hit.entry.page.title;
      var text = document.createElement("p");
      text.textContent = snippet(hit.entry.page, terms);
      item.appendChild(link);
      item.appendChild(text);
      list.appendChild(item);
    });
    say(ranked.length === 0 ? "none" : ranked.length === 1 ? "one" : "many", query, ranked.length);
  }

  function query() {
    return new URLSearchParams(window.location.search).get("q") || "";
  }

  input.addEventListener("input", function () {
    show(input.value);
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url.toString());
  });
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
  });

  /* The index is a script (search-index.js, loaded before this one), not a fetch: a
   * browser refuses fetch() on a site opened from a folder (file://). */
  var index = window.r2rSearchIndex;
  if (!index || !Array.isArray(index.pages)) {
    status.textContent = status.dataset.failed;
    status.classList.add("search-failed");
    input.disabled = true;
    return;
  }
  pages = index.pages.map(prepare);
  input.value = query();
  show(input.value);
}());
