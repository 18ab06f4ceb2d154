"""The business portal: balance, obligations, payments."""
