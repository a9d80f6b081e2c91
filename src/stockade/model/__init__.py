"""Pure data: targets, inventories, findings, results.  No I/O here."""
