"""Measures for access to and keeping of housing (Parte seconda) and other projects (Parte terza)."""
