// Saving what the page made (a snapshot, a chart image) as a file.

/** Offer `blob` to the user as a download named `name`. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has its own reference; the URL can go once it started.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
