"""engine hooks components (modules are imported and registered by `import plugins`)."""
