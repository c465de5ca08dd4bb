"""Knowledge base: approved articles, bilingual search and agent assist."""
