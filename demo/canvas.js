// The drawing canvas of the Draw tab (a gr.HTML component; see canvas.py, which reads what this sends).
// Strokes are drawn here in the browser; what is sent to the server is only the ink, cropped to the
// drawing (with a margin) and reduced to at most SIDE pixels on its long side: a few KB of JSON
// {width, height, ink: base64 of width*height bytes, 255 = ink}, or "" for an empty canvas. It is
// sent when a stroke ends (every view, in full), and while drawing every SEND_MS, marked partial, for which
// the server gives only the answer's probabilities: only while the Answer view is on screen, for the other
// views follow at the stroke's end. Setting the value sends it (Gradio's HTML dispatches one change event
// whenever its value changes). A value set by the server (an example
// clicked, a photo read) is drawn onto the canvas, centred, and strokes can then be added to it.
const SIDE = 64, MARGIN = 0.15, SEND_MS = 250, PEN = 18, ANSWER = ".answer-pictures";
const canvas = element.querySelector("canvas");
const ctx = canvas.getContext("2d", { willReadFrequently: true });
const small = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
let down = false, last = null, lastSent = 0, sent = "";

function reset() {
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}

function at(event) {
  const r = canvas.getBoundingClientRect();
  return [(event.clientX - r.left) * canvas.width / r.width, (event.clientY - r.top) * canvas.height / r.height];
}

function line(from, to) {
  Object.assign(ctx, { strokeStyle: "black", lineWidth: PEN, lineCap: "round", lineJoin: "round" });
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0], to[1]);
  ctx.stroke();
}

function inkValue(partial) {
  const { width, height } = canvas;
  const pixels = ctx.getImageData(0, 0, width, height).data;
  let top = height, left = width, bottom = -1, right = -1;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (pixels[4 * (y * width + x)] < 250) {
      top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
    }
  }
  if (bottom < 0) return "";
  const pad = Math.ceil(MARGIN * Math.max(bottom - top + 1, right - left + 1));
  top = Math.max(0, top - pad); left = Math.max(0, left - pad);
  bottom = Math.min(height - 1, bottom + pad); right = Math.min(width - 1, right + pad);
  const w = right - left + 1, h = bottom - top + 1, scale = Math.min(1, SIDE / Math.max(w, h));
  const sw = Math.max(1, Math.round(w * scale)), sh = Math.max(1, Math.round(h * scale));
  small.canvas.width = sw; small.canvas.height = sh;
  small.imageSmoothingQuality = "high";
  small.drawImage(canvas, left, top, w, h, 0, 0, sw, sh);
  const rgba = small.getImageData(0, 0, sw, sh).data, ink = new Uint8Array(sw * sh);
  for (let i = 0; i < ink.length; i++) ink[i] = 255 - rgba[4 * i];
  return JSON.stringify({ width: sw, height: sh, ink: btoa(String.fromCharCode(...ink)), ...(partial && { partial }) });
}

function send(partial = false) {
  lastSent = Date.now();
  sent = inkValue(partial);
  props.value = sent;
}

function answerShown() {
  const answer = document.querySelector(ANSWER);
  return answer !== null && answer.offsetParent !== null;
}

function show(value) {
  reset();
  if (!value) return;
  const { width, height, ink } = JSON.parse(value), bytes = atob(ink);
  small.canvas.width = width; small.canvas.height = height;
  const image = small.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = 255 - bytes.charCodeAt(i);
    image.data.set([v, v, v, 255], 4 * i);
  }
  small.putImageData(image, 0, 0);
  const scale = 0.9 * Math.min(canvas.width / width, canvas.height / height);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(small.canvas, (canvas.width - width * scale) / 2, (canvas.height - height * scale) / 2,
                width * scale, height * scale);
}

watch("value", () => {
  if (props.value !== sent) {
    sent = props.value;
    show(sent);
  }
});

canvas.addEventListener("pointerdown", (event) => {
  down = true;
  last = at(event);
  canvas.setPointerCapture(event.pointerId);
  line(last, last);
});
canvas.addEventListener("pointermove", (event) => {
  if (!down) return;
  const point = at(event);
  line(last, point);
  last = point;
  if (Date.now() - lastSent > SEND_MS && answerShown()) send(true);
});
canvas.addEventListener("pointerup", () => {
  if (!down) return;
  down = false;
  send();
});
element.querySelector("button.clear").addEventListener("click", () => {
  reset();
  send();
});
reset();
