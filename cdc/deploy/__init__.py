"""Shipping the streaming job to EMR Serverless: the job bundle and the job-run lifecycle."""
