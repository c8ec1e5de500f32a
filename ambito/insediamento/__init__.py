"""Onboarding an ambito without the Django admin (issue 13).

The platform administrator creates the ambito and invites its first ufficio di piano user
(``inviti``); that user, in the guided pages (``views``), picks the comuni from the ISTAT data shipped
with the project and places them in aggregazioni (``territorio``), confirms the enti (``enti``),
invites the operators (``inviti``) and opens the first plan (``piano``). Every write is one
transaction recorded in the history (``piano_annuale.storico.Scrittura``).
"""
