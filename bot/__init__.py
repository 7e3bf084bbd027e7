"""Jobbskaparna: a coach for entrepreneurs on social media and in dialogue with local politicians."""
