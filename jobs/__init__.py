"""Scheduled work: the planner turns schedules into deliveries, the dispatcher sends them."""
