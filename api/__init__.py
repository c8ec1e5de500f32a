"""The REST API (``/api/v1/``): reads of the territory, the plans and their computation, writes of an
ente's own data through the same services as the forms and the spreadsheet upload, personal tokens."""
