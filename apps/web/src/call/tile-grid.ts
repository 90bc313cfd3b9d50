/**
 * The tile layout: for `count` tiles of `aspect` (width / height) in a `width` × `height`
 * area, the number of columns that makes the tiles largest, and their width.
 */
export function bestGrid(count: number, width: number, height: number, gap = 8, aspect = 16 / 9): { cols: number; tileWidth: number } {
  if (count <= 0 || width <= 0 || height <= 0) return { cols: 1, tileWidth: Math.max(0, width) };
  let best = { cols: 1, tileWidth: 0 };
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const w = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * aspect);
    if (w > best.tileWidth) best = { cols, tileWidth: w };
  }
  return { cols: best.cols, tileWidth: Math.floor(best.tileWidth) };
}
