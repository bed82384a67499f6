"""The read path: a query (allowed ids → retrievers → fusion → hits → snippets → grouping) and the views."""
