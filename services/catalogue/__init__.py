"""catalogue — the archival description (biên mục): hồ sơ, pages and their text, search,
lifecycle and acceptance (nghiệm thu)."""
