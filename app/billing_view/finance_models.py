"""The office's side of payments: FK export batches and imported bank statements."""
