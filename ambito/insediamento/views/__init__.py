"""The onboarding's pages: the platform administrator's list of ambiti and the guided steps of an
ambito's ufficio di piano."""
