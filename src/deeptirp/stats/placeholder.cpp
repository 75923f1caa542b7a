// Replaced by the statistics module.
