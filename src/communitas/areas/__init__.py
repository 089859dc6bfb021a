"""Areas: city → district → street → community → grid → building."""
