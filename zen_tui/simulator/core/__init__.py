"""What every simulated service shares: the seeded world, fault injection, rate budgets,
scenarios, the control API, colleagues' activity, signed webhooks and the OAuth consent
machinery."""
