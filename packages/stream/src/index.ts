// The stream package's public surface: named re-exports only.
export {};
