"""The catalogue's domain: hồ sơ, văn bản, pages and phông, and the rules of TT 05/2025 and
of the programme's workflow that they enforce. No I/O, no framework."""
