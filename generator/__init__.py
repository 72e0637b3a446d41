"""return2run: return-to-run education and personalised plans after a bone stress injury."""

__version__ = "0.1.0"
