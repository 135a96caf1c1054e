"""Treasury (treasury.md): money in from the chains, money out that comes back, refunds, receivables."""
