import qrcode from 'qrcode-generator';
import { escapeHtml } from './html.ts';

/**
 * QR codes for the otpauth:// URI of an authenticator set-up, drawn on the
 * server as SVG so the page needs no script and no image service. The encoding
 * is qrcode-generator's (ISO/IEC 18004; a dependency, not ours to maintain):
 * byte mode, error correction level M (readable with about 15 % damaged), the
 * smallest version that holds the text.
 */

/** modules[y][x]: true is dark. The text is encoded as UTF-8. */
export function qrModules(text: string): boolean[][] {
  const code = qrcode(0, 'M');
  // The library's byte mode takes one character per byte (its default stringToBytes keeps the low 8 bits):
  // the UTF-8 bytes as latin1 characters are read back as exactly those bytes.
  code.addData(Buffer.from(text, 'utf8').toString('latin1'), 'Byte');
  code.make();
  const size = code.getModuleCount();
  return Array.from({ length: size }, (_, y) => Array.from({ length: size }, (_, x) => code.isDark(y, x)));
}

/**
 * The code as an SVG element: one path of dark modules inside a 4-module light
 * quiet zone, sized by the page's stylesheet. No script, no style attribute, so
 * it passes a strict Content-Security-Policy; `label` is read out by screen readers.
 */
export function qrSvg(text: string, label: string): string {
  const modules = qrModules(text);
  const side = modules.length + 8;
  let path = '';
  modules.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (!row[x]) continue;
      let run = 1;
      while (row[x + run]) run++;
      path += `M${x + 4} ${y + 4}h${run}v1h-${run}z`;
      x += run - 1;
    }
  });
  return `<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" role="img" aria-label="${escapeHtml(label)}" shape-rendering="crispEdges"><rect width="${side}" height="${side}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
