"""receiver — the reference national archive: fetches each announced package, checks it and
answers with a receipt (biên nhận). Not part of sohoa's production stack: it shows what the
national archive's side of the contract does, and tests the whole journey."""
