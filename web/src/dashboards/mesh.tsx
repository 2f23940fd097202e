// Mesh dashboard: one three.js view per selected run and mesh tag, with a
// step slider. Triangle meshes are lit solids (vertex colours when stored);
// summaries without faces are drawn as point clouds.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useChartFit } from '../hooks';
import type { TagInfo } from './series_api';
import { fetchMeshData, fetchMeshSteps, type MeshData, type MeshStep } from './mesh_api';
import { Card, StepSlider, TagDashboard, useSeen, useSeries, useStepIndex, useThemeVersion } from './common';
import type { DashboardProps } from './registry';
import { disposeObject, disposeRenderer, makeRenderer } from './three_util';
import './view3d.css';

type Cfg = Record<string, unknown>;

function obj(v: unknown): Cfg {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Cfg) : {};
}

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : dflt;
}

function color(v: unknown, dflt: THREE.ColorRepresentation): THREE.Color {
  if (typeof v === 'number' || typeof v === 'string') {
    try {
      return new THREE.Color(v as THREE.ColorRepresentation);
    } catch {
      /* fall through */
    }
  }
  return new THREE.Color(dflt);
}

function vec3(v: unknown): THREE.Vector3 | null {
  return Array.isArray(v) && v.length >= 3 && v.every((x) => typeof x === 'number') ? new THREE.Vector3(v[0], v[1], v[2]) : null;
}

/** Lights from the config's "lights" list, or a soft default rig. */
function makeLights(cfg: Cfg): THREE.Light[] {
  const list = Array.isArray(cfg.lights) ? cfg.lights.map(obj) : [];
  const out: THREE.Light[] = [];
  for (const l of list) {
    const c = color(l.color, 0xffffff);
    const i = num(l.intensity, 1);
    let light: THREE.Light | null = null;
    switch (l.cls) {
      case 'AmbientLight':
        light = new THREE.AmbientLight(c, i);
        break;
      case 'DirectionalLight':
        light = new THREE.DirectionalLight(c, i);
        break;
      case 'PointLight':
        light = new THREE.PointLight(c, i, num(l.distance, 0), num(l.decay, 2));
        break;
      case 'HemisphereLight':
        light = new THREE.HemisphereLight(c, color(l.groundColor, 0x444444), i);
        break;
    }
    if (!light) continue;
    const p = vec3(l.position);
    if (p) light.position.copy(p);
    out.push(light);
  }
  if (out.length) return out;
  const key = new THREE.DirectionalLight(0xffffff, 1.6);
  key.position.set(1, 2, 3);
  const fill = new THREE.DirectionalLight(0xffffff, 0.5);
  fill.position.set(-2, -1, -1);
  return [new THREE.AmbientLight(0xffffff, 0.9), key, fill];
}

/** Material from the config's "material" entry, or a matte standard one. */
function makeMaterial(cfg: Cfg, vertexColors: boolean, base: string): THREE.Material {
  const m = obj(cfg.material);
  const common = {
    vertexColors,
    side: THREE.DoubleSide,
    color: vertexColors ? new THREE.Color(0xffffff) : color(m.color, base),
    transparent: typeof m.opacity === 'number' && m.opacity < 1,
    opacity: num(m.opacity, 1),
    wireframe: m.wireframe === true,
    flatShading: m.flatShading !== false,
  };
  switch (m.cls) {
    case 'MeshBasicMaterial':
      return new THREE.MeshBasicMaterial({ ...common, flatShading: undefined } as THREE.MeshBasicMaterialParameters);
    case 'MeshLambertMaterial':
      return new THREE.MeshLambertMaterial(common);
    case 'MeshPhongMaterial':
      return new THREE.MeshPhongMaterial({ ...common, shininess: num(m.shininess, 30) });
    default:
      return new THREE.MeshStandardMaterial({ ...common, roughness: num(m.roughness, 1), metalness: num(m.metalness, 0) });
  }
}

/** Number of coordinates usable as whole vertices; indices checked against it. */
function buildObject(data: MeshData, cfg: Cfg, base: string): { object: THREE.Object3D; faces: number; points: boolean } {
  const n = Math.floor(data.vertices.length / 3);
  const geom = new THREE.BufferGeometry();
  geom.setAttribute('position', new THREE.BufferAttribute(data.vertices.subarray(0, n * 3), 3));
  const hasColors = !!data.colors && data.colors.length >= n * 3;
  if (hasColors) {
    const attr = new THREE.BufferAttribute(data.colors!.subarray(0, n * 3), 3, true);
    geom.setAttribute('color', attr);
  }
  let faces = 0;
  if (data.faces && data.faces.length >= 3) {
    const f = data.faces.subarray(0, Math.floor(data.faces.length / 3) * 3);
    let ok = true;
    for (let i = 0; i < f.length; i++) {
      if (f[i] < 0 || f[i] >= n) {
        ok = false;
        break;
      }
    }
    if (ok) {
      geom.setIndex(new THREE.BufferAttribute(new Uint32Array(f), 1));
      faces = f.length / 3;
    }
  }
  geom.computeBoundingSphere();
  if (faces > 0) {
    geom.computeVertexNormals();
    return { object: new THREE.Mesh(geom, makeMaterial(cfg, hasColors, base)), faces, points: false };
  }
  const r = geom.boundingSphere?.radius || 1;
  const pm = obj(cfg.material);
  const mat = new THREE.PointsMaterial({
    vertexColors: hasColors,
    color: hasColors ? 0xffffff : color(pm.color, base),
    size: num(pm.size, r / 40),
    sizeAttenuation: true,
  });
  return { object: new THREE.Points(geom, mat), faces: 0, points: true };
}

/** Owns the renderer, scene, camera and controls of one card. */
class MeshView {
  renderer: THREE.WebGLRenderer | null;
  scene = new THREE.Scene();
  camera: THREE.PerspectiveCamera = new THREE.PerspectiveCamera(50, 1, 0.01, 1000);
  controls: OrbitControls | null = null;
  content: THREE.Group = new THREE.Group();
  fitted = false;
  private home = { pos: new THREE.Vector3(), target: new THREE.Vector3() };

  constructor(private canvas: HTMLCanvasElement) {
    this.renderer = makeRenderer(canvas);
    this.scene.add(this.content);
    if (this.renderer) {
      this.controls = new OrbitControls(this.camera, canvas);
      this.controls.enableDamping = false;
      this.controls.addEventListener('change', () => this.render());
    }
  }

  setSize(w: number, h: number) {
    if (w <= 0 || h <= 0) return;
    this.renderer?.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  setContent(object: THREE.Object3D, cfg: Cfg) {
    disposeObject(this.content);
    this.scene.remove(this.content);
    this.content = new THREE.Group();
    this.content.add(object);
    for (const l of makeLights(cfg)) this.content.add(l);
    this.scene.add(this.content);
    const cam = obj(cfg.camera);
    this.camera.fov = num(cam.fov, 50);
    this.camera.near = num(cam.near, this.camera.near);
    this.camera.far = num(cam.far, this.camera.far);
    if (!this.fitted) this.fit(object, cam);
    this.render();
  }

  private fit(object: THREE.Object3D, cam: Cfg) {
    const sphere = new THREE.Box3().setFromObject(object).getBoundingSphere(new THREE.Sphere());
    const r = Number.isFinite(sphere.radius) && sphere.radius > 0 ? sphere.radius : 1;
    const center = sphere.center;
    const dist = (r / Math.sin(THREE.MathUtils.degToRad(this.camera.fov) / 2)) * 1.05;
    const p = vec3(cam.position);
    const dir = p ? p.clone().sub(center).normalize() : new THREE.Vector3(0.9, 0.7, 1.6).normalize();
    if (dir.lengthSq() === 0) dir.set(0, 0, 1);
    this.home.pos.copy(center).addScaledVector(dir, dist);
    this.home.target.copy(center);
    if (!cam.near) this.camera.near = Math.max(dist / 1000, 1e-6);
    if (!cam.far) this.camera.far = dist * 100;
    this.fitted = true;
    this.reset();
  }

  reset() {
    this.camera.position.copy(this.home.pos);
    this.camera.lookAt(this.home.target);
    this.camera.updateProjectionMatrix();
    if (this.controls) {
      this.controls.target.copy(this.home.target);
      this.controls.update();
    }
    this.render();
  }

  render() {
    this.renderer?.render(this.scene, this.camera);
  }

  destroy() {
    this.controls?.dispose();
    disposeObject(this.scene);
    disposeRenderer(this.renderer);
  }
}

interface CardProps {
  item: TagInfo;
  color: string;
  generation: number;
  theme: number;
}

interface Drawn {
  step: number;
  vertices: number;
  faces: number;
  points: boolean;
}

function MeshCard({ item, color: runColor, generation }: CardProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewRef = useRef<MeshView | null>(null);
  const seen = useSeen(rootRef);
  const key = `mesh\u0000${item.run}\u0000${item.tag}`;
  const steps = useSeries(key, generation, seen, (signal) => fetchMeshSteps(item.run, item.tag, signal));
  const list = steps.data ?? [];
  const [index, setIndex] = useStepIndex(list.length);
  const cur: MeshStep | undefined = list[index];
  const data = useSeries(`${key}\u0000${cur?.step}`, generation, seen && !!cur, (signal) =>
    fetchMeshData(item.run, item.tag, cur!, signal),
  );
  const [drawn, setDrawn] = useState<Drawn | null>(null);
  const [webgl, setWebgl] = useState(true);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    viewRef.current = new MeshView(canvas);
    setWebgl(!!viewRef.current.renderer);
  }, []);
  useChartFit(boxRef, viewRef);

  useEffect(() => {
    const view = viewRef.current;
    if (!view || !data.data || !cur) return;
    const built = buildObject(data.data, cur.config, runColor);
    view.setContent(built.object, cur.config);
    setDrawn({ step: cur.step, vertices: Math.floor(data.data.vertices.length / 3), faces: built.faces, points: built.points });
  }, [data.data, runColor]);

  const status = steps.status === 'error' ? 'error' : data.status === 'error' ? 'error' : steps.status === 'ready' && (!cur || data.status === 'ready') ? 'ready' : steps.status === 'idle' ? 'idle' : 'loading';
  const aside = drawn ? (drawn.points ? `${drawn.vertices} points` : `${drawn.vertices} vertices · ${drawn.faces} faces`) : '';
  return (
    <Card
      item={item}
      color={runColor}
      status={status}
      error={steps.error || data.error}
      rootRef={rootRef}
      aside={aside}
      attrs={{
        'data-kind': 'mesh',
        'data-webgl': String(webgl),
        'data-steps': steps.data ? String(list.length) : undefined,
        'data-drawn-step': drawn ? String(drawn.step) : undefined,
        'data-vertices': drawn ? String(drawn.vertices) : undefined,
        'data-faces': drawn ? String(drawn.faces) : undefined,
      }}
    >
      <div class="view3d-view mesh-view" ref={boxRef}>
        <canvas ref={canvasRef} class="view3d-canvas" data-testid="mesh-canvas" />
        {!webgl && <div class="plot-msg">WebGL is not available in this browser</div>}
        {webgl && steps.status === 'ready' && list.length === 0 && <div class="plot-msg">No data</div>}
        {webgl && !drawn && (steps.status === 'loading' || data.status === 'loading') && <div class="plot-msg">Loading…</div>}
        {webgl && drawn && (
          <button class="view3d-reset" title="Reset view" data-testid="mesh-reset" onClick={() => viewRef.current?.reset()}>
            ⟲
          </button>
        )}
      </div>
      <StepSlider count={list.length} index={index} onChange={setIndex} step={cur?.step} wallTime={cur?.wallTime} />
    </Card>
  );
}

export default function MeshDashboard({ runColor, ...props }: DashboardProps) {
  const theme = useThemeVersion();
  return (
    <TagDashboard
      {...props}
      plugin="mesh"
      noun="mesh data"
      controls={<span class="dash-legend">Drag to orbit · wheel to zoom · right-drag to pan</span>}
      renderCard={(item) => <MeshCard item={item} color={runColor(item.run)} generation={props.generation} theme={theme} />}
    />
  );
}
