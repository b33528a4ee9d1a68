"""The background worker: fires due timers at their time, in any number of processes."""
