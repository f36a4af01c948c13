"""The conversation test set (issue 14): scripted multi-turn conversations from six
kinds of shop, scored step by step against the complaint playbook by ``make eval``."""
