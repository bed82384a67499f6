"""kb: knowledge base and multilingual search for border-cooperation documents."""

__version__ = "0.1.0"
