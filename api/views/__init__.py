"""The API's views: reads (``lettura``, ``calcolo``), an ente's writes (``ente``, ``elenco``), docs."""
