"""The computation: graph model, compiled form, metrics, propagation, analysis, scenarios."""
