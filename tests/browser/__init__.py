"""End-to-end tests of the pages in Debian's Chromium (issue 17)."""
