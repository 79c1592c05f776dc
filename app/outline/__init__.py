"""Outlines for vertical short drama: the outline kind, its components, exports."""
