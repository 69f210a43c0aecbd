"""What shipshape remembers: builds, failures, fixes and their outcomes, incidents with their trajectories."""
