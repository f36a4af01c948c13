"""The agents' console: the pages the gateway serves at /console/ (login and the console
itself, built from bot/console/src/ with the widget's toolchain) and the canned
replies agents pick from (canned_replies.yml)."""
