"""``/v1/fine_tuning/jobs``: simulated training runs whose resulting ``ft:`` models serve chat."""
