"""Treasury (treasury.md): money in from the chains against the bank's 振込入金通知, chain balances and
their exceptions (bank_file.py, remittances.py, balances.py); returned payouts, refunds and
receivables (returns.py, refunds.py, receivables.py, conservation.py).
"""
