// The projector's point cloud: one THREE.Points with a small shader that
// draws round dots (or sprite thumbnails framed in the point's colour when
// colouring by a column), dims points that do not match the search, rings
// the ones that do and hides the ones left out of an isolated set. One draw
// call for all points: 50,000 stay smooth to orbit.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { disposeRenderer, makeRenderer } from './three_util';

/** Per-point state in the `hl` attribute. */
export const HL_NORMAL = 0;
export const HL_DIM = 1;
export const HL_MATCH = 2;
export const HL_HOVER = 3;
export const HL_HIDDEN = 4;

const VERTEX = `
attribute vec3 pcolor;
attribute float sidx;
attribute float hl;
uniform float size;
uniform float spriteSize;
uniform bool useSprite;
varying vec3 vColor;
varying float vIdx;
varying float vHl;
void main() {
  vColor = pcolor;
  vIdx = sidx;
  vHl = hl;
  vec4 mv = modelViewMatrix * vec4(position, 1.0);
  gl_Position = projectionMatrix * mv;
  float s = useSprite ? spriteSize : size;
  if (hl > 1.5) s *= 1.7;
  if (hl > 3.5) {
    s = 0.0;
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
  }
  gl_PointSize = s;
}`;

const FRAGMENT = `
uniform sampler2D atlas;
uniform bool useSprite;
uniform bool tint;
uniform vec2 grid;
uniform vec2 cell;
uniform vec3 ring;
varying vec3 vColor;
varying float vIdx;
varying float vHl;
void main() {
  vec2 pc = gl_PointCoord;
  if (vHl > 3.5) discard;
  float alpha = (vHl > 0.5 && vHl < 1.5) ? 0.15 : 1.0;
  if (useSprite) {
    float col = mod(vIdx, grid.x);
    float row = floor(vIdx / grid.x);
    vec2 uv = vec2((col + pc.x) * cell.x, 1.0 - (row + pc.y) * cell.y);
    vec4 t = texture2D(atlas, uv);
    vec3 c = t.rgb;
    if (tint && (pc.x < 0.14 || pc.x > 0.86 || pc.y < 0.14 || pc.y > 0.86)) c = vColor;
    if (vHl > 1.5 && (pc.x < 0.08 || pc.x > 0.92 || pc.y < 0.08 || pc.y > 0.92)) c = ring;
    gl_FragColor = vec4(c, alpha);
    return;
  }
  float r = length(pc - 0.5);
  if (r > 0.5) discard;
  float edge = 1.0 - smoothstep(0.42, 0.5, r);
  vec3 c = vColor;
  if (vHl > 1.5 && r > 0.33) c = ring;
  gl_FragColor = vec4(c, alpha * edge);
}`;

export class PointsView {
  readonly renderer: THREE.WebGLRenderer | null;
  private scene = new THREE.Scene();
  private camera = new THREE.PerspectiveCamera(45, 1, 0.01, 100);
  private controls: OrbitControls | null = null;
  private geom = new THREE.BufferGeometry();
  private material: THREE.ShaderMaterial;
  private points: THREE.Points;
  private positions = new Float32Array(0);
  private hl = new Float32Array(0);
  private base = new Float32Array(0);
  private hidden: Uint8Array | null = null;
  private hovered = -1;
  private is2d = false;
  private axes: THREE.LineSegments;
  private width = 1;
  private height = 1;
  private frame = 0;
  private texture: THREE.Texture | null = null;

  constructor(
    private canvas: HTMLCanvasElement,
    private onHover: (index: number, x: number, y: number) => void,
  ) {
    // The point shader smooths each point's edge itself: no multisampling.
    this.renderer = makeRenderer(canvas, false);
    this.material = new THREE.ShaderMaterial({
      vertexShader: VERTEX,
      fragmentShader: FRAGMENT,
      transparent: true,
      depthWrite: false,
      uniforms: {
        size: { value: 7 * this.dpr() },
        spriteSize: { value: 28 * this.dpr() },
        useSprite: { value: false },
        tint: { value: false },
        atlas: { value: null },
        grid: { value: new THREE.Vector2(1, 1) },
        cell: { value: new THREE.Vector2(1, 1) },
        ring: { value: new THREE.Color(0xe8710a) },
      },
    });
    this.points = new THREE.Points(this.geom, this.material);
    this.points.frustumCulled = false;
    this.scene.add(this.points);
    const axisGeom = new THREE.BufferGeometry();
    axisGeom.setAttribute('position', new THREE.Float32BufferAttribute([-1.1, 0, 0, 1.1, 0, 0, 0, -1.1, 0, 0, 1.1, 0, 0, 0, -1.1, 0, 0, 1.1], 3));
    this.axes = new THREE.LineSegments(axisGeom, new THREE.LineBasicMaterial({ color: 0x888888, transparent: true, opacity: 0.35 }));
    this.scene.add(this.axes);
    if (this.renderer) {
      this.controls = new OrbitControls(this.camera, canvas);
      this.controls.addEventListener('change', () => this.requestRender());
    }
    canvas.addEventListener('pointermove', this.onMove);
    canvas.addEventListener('pointerleave', this.onLeave);
    this.resetView();
  }

  private dpr(): number {
    return Math.min(window.devicePixelRatio || 1, 2);
  }

  setSize(w: number, h: number) {
    if (w <= 0 || h <= 0) return;
    this.width = w;
    this.height = h;
    this.renderer?.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.renderNow();
  }

  setTheme(ring: string, axis: string) {
    (this.material.uniforms.ring.value as THREE.Color).set(ring);
    (this.axes.material as THREE.LineBasicMaterial).color.set(axis);
    this.requestRender();
  }

  /** n × 3 coordinates, already scaled to about [-1, 1]. */
  setPositions(coords: Float32Array, is2d: boolean) {
    const n = coords.length / 3;
    if (n !== this.positions.length / 3) {
      this.geom.dispose();
      this.geom = new THREE.BufferGeometry();
      this.positions = new Float32Array(n * 3);
      this.hl = new Float32Array(n);
      this.base = new Float32Array(n);
      this.hidden = null;
      const idx = new Float32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      this.geom.setAttribute('position', new THREE.BufferAttribute(this.positions, 3));
      this.geom.setAttribute('pcolor', new THREE.BufferAttribute(new Float32Array(n * 3).fill(0.5), 3));
      this.geom.setAttribute('sidx', new THREE.BufferAttribute(idx, 1));
      this.geom.setAttribute('hl', new THREE.BufferAttribute(this.hl, 1));
      this.points.geometry = this.geom;
    }
    this.positions.set(coords);
    this.geom.attributes.position.needsUpdate = true;
    if (is2d !== this.is2d) {
      this.is2d = is2d;
      this.resetView();
    }
    this.requestRender();
  }

  get count(): number {
    return this.positions.length / 3;
  }

  setColors(rgb: Float32Array) {
    const attr = this.geom.getAttribute('pcolor') as THREE.BufferAttribute | undefined;
    if (!attr || attr.array.length !== rgb.length) return;
    (attr.array as Float32Array).set(rgb);
    attr.needsUpdate = true;
    this.requestRender();
  }

  /** `match`: null (no search) or a flag per point. */
  setMatches(match: Uint8Array | null) {
    for (let i = 0; i < this.base.length; i++) this.base[i] = match ? (match[i] ? HL_MATCH : HL_DIM) : HL_NORMAL;
    this.applyHl();
  }

  /** `hidden`: null (all drawn) or a flag per point left out of the view. */
  setHidden(hidden: Uint8Array | null) {
    this.hidden = hidden && hidden.length === this.base.length ? hidden : null;
    if (this.hidden && this.hidden[this.hovered]) this.hovered = -1;
    this.applyHl();
  }

  /** Frame sprites in each point's colour (colouring by a column). */
  setTint(on: boolean) {
    this.material.uniforms.tint.value = on;
    this.requestRender();
  }

  private applyHl() {
    this.hl.set(this.base);
    const hidden = this.hidden;
    if (hidden) for (let i = 0; i < hidden.length; i++) if (hidden[i]) this.hl[i] = HL_HIDDEN;
    if (this.hovered >= 0 && this.hovered < this.hl.length) this.hl[this.hovered] = HL_HOVER;
    const attr = this.geom.getAttribute('hl') as THREE.BufferAttribute | undefined;
    if (attr) attr.needsUpdate = true;
    this.requestRender();
  }

  /** A sprite atlas of single images of `dim` = [width, height] pixels, or null. */
  setSprite(image: HTMLImageElement | null, dim: [number, number] | null) {
    this.texture?.dispose();
    this.texture = null;
    const u = this.material.uniforms;
    if (image && dim && image.naturalWidth > 0) {
      const t = new THREE.Texture(image);
      t.colorSpace = THREE.NoColorSpace;
      t.minFilter = THREE.LinearFilter;
      t.magFilter = THREE.NearestFilter;
      t.generateMipmaps = false;
      t.needsUpdate = true;
      this.texture = t;
      u.atlas.value = t;
      (u.grid.value as THREE.Vector2).set(Math.max(1, Math.floor(image.naturalWidth / dim[0])), 1);
      (u.cell.value as THREE.Vector2).set(dim[0] / image.naturalWidth, dim[1] / image.naturalHeight);
      u.useSprite.value = true;
    } else {
      u.atlas.value = null;
      u.useSprite.value = false;
    }
    this.requestRender();
  }

  resetView() {
    this.camera.position.set(...((this.is2d ? [0, 0, 3.1] : [2.0, 1.4, 2.2]) as [number, number, number]));
    this.camera.up.set(0, 1, 0);
    this.camera.lookAt(0, 0, 0);
    if (this.controls) {
      this.controls.target.set(0, 0, 0);
      this.controls.enableRotate = !this.is2d;
      this.controls.screenSpacePanning = true;
      this.controls.mouseButtons.LEFT = this.is2d ? THREE.MOUSE.PAN : THREE.MOUSE.ROTATE;
      this.controls.update();
    }
    this.axes.visible = !this.is2d;
    this.requestRender();
  }

  /** Index of the point drawn nearest to (x, y) in CSS pixels, within `radius`. */
  pick(x: number, y: number, radius = 10): number {
    let best = -1;
    let bestD = radius * radius;
    const n = this.count;
    this.camera.updateMatrixWorld();
    // One view-projection matrix, applied inline: hovering over 50,000
    // points costs a few milliseconds.
    const m = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse).elements;
    const p = this.positions;
    const hidden = this.hidden;
    for (let i = 0; i < n; i++) {
      if (hidden && hidden[i]) continue;
      const px0 = p[i * 3];
      const py0 = p[i * 3 + 1];
      const pz0 = p[i * 3 + 2];
      const w = m[3] * px0 + m[7] * py0 + m[11] * pz0 + m[15];
      if (w <= 0) continue;
      const sz = (m[2] * px0 + m[6] * py0 + m[10] * pz0 + m[14]) / w;
      if (sz > 1) continue;
      const sx = (m[0] * px0 + m[4] * py0 + m[8] * pz0 + m[12]) / w;
      const sy = (m[1] * px0 + m[5] * py0 + m[9] * pz0 + m[13]) / w;
      const px = ((sx + 1) / 2) * this.width;
      const py = ((1 - sy) / 2) * this.height;
      const d = (px - x) * (px - x) + (py - y) * (py - y);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  /** Screen position (CSS pixels) of point i. */
  screenOf(i: number): [number, number] {
    const v = new THREE.Vector3(this.positions[i * 3], this.positions[i * 3 + 1], this.positions[i * 3 + 2]).project(this.camera);
    return [((v.x + 1) / 2) * this.width, ((1 - v.y) / 2) * this.height];
  }

  private onMove = (e: PointerEvent) => {
    if (e.buttons) return;
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const i = this.pick(x, y);
    if (i !== this.hovered) {
      this.hovered = i;
      this.applyHl();
    }
    this.onHover(i, x, y);
  };

  private onLeave = () => {
    if (this.hovered >= 0) {
      this.hovered = -1;
      this.applyHl();
    }
    this.onHover(-1, 0, 0);
  };

  requestRender() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderNow();
    });
  }

  renderNow() {
    this.renderer?.render(this.scene, this.camera);
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    this.canvas.removeEventListener('pointermove', this.onMove);
    this.canvas.removeEventListener('pointerleave', this.onLeave);
    this.controls?.dispose();
    this.geom.dispose();
    this.material.dispose();
    this.axes.geometry.dispose();
    (this.axes.material as THREE.Material).dispose();
    this.texture?.dispose();
    disposeRenderer(this.renderer);
  }
}
