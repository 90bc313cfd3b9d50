import { launchChromium } from './browser';
async function main() {
  const b = await launchChromium({ fakeMedia: true });
  const p = await b.newPage();
  const { createServer } = await import('node:http');
  const srv = createServer((q, r) => r.end('<html><body>x</body></html>'));
  await new Promise<void>((r) => srv.listen(9260, '127.0.0.1', () => r()));
  await p.goto('http://127.0.0.1:9260/');
  console.log(await p.evaluate(`(async () => {
    const out = [];
    const s = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 180 } });
    const r = new MediaStreamTrackProcessor({ track: s.getVideoTracks()[0] }).readable.getReader();
    const { value: f } = await r.read();
    out.push('src ' + f.format + ' ' + JSON.stringify(f.colorSpace.toJSON()));
    const avg = (img) => { const c = new OffscreenCanvas(f.displayWidth, f.displayHeight); const x = c.getContext('2d'); x.drawImage(img, 0, 0); const d = x.getImageData(0,0,c.width,c.height).data; let s=[0,0,0]; for (let i=0;i<d.length;i+=4){s[0]+=d[i];s[1]+=d[i+1];s[2]+=d[i+2];} const n=d.length/4; return s.map(v=>Math.round(v/n)).join(','); };
    out.push('src avg ' + avg(f));
    let meta;
    const chunks = [];
    const enc = new VideoEncoder({ output: (c, m) => { chunks.push(c); if (m && m.decoderConfig) meta = m.decoderConfig; }, error: e => out.push('enc err ' + e) });
    enc.configure({ codec: 'vp8', width: 320, height: 180, bitrate: 300000, framerate: 15, latencyMode: 'realtime' });
    enc.encode(f, { keyFrame: true }); await enc.flush();
    out.push('meta ' + JSON.stringify(meta && meta.colorSpace));
    for (const cs of [undefined, meta && meta.colorSpace]) {
      let dfr;
      const dec = new VideoDecoder({ output: (x) => { dfr = x; }, error: e => out.push('dec err ' + e) });
      dec.configure(cs ? { codec: 'vp8', colorSpace: cs } : { codec: 'vp8' });
      dec.decode(chunks[0]); await dec.flush();
      out.push('dec(' + (cs ? 'meta' : 'none') + ') ' + dfr.format + ' ' + JSON.stringify(dfr.colorSpace.toJSON()) + ' avg ' + avg(dfr));
      dfr.close();
    }
    f.close();
    return out;
  })()`));
  await b.close(); srv.close();
}
void main();
