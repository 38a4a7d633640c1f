"""Admin for campaign content: campaign, appeals and demands, milestones, statements, contact."""
