"""models pose_estimators components (modules are imported and registered by `import plugins`)."""
