@_exported import U2ADTestSupport
