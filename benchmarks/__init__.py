"""Speed and memory of `embedkit` against peer libraries, measured in the same run."""
