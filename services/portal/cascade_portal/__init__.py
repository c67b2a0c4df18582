"""Cascade's web portal: server-rendered screens for drafters, approvers, auditors."""
