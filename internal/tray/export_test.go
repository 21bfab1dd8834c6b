package tray

// Documents exposes the GraphQL documents the client sends, for tests.
var Documents = documents

// PreviewExample is a documented-shape publish preview answer.
const PreviewExample = previewExample
