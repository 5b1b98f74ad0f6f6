"""pitchfit: self-supervised pitch detection by inverse audio synthesis."""

__version__ = "0.1.0"
