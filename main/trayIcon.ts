import { Menu, Tray, nativeImage, nativeTheme, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import { trayIconFile, trayModel, type TrayCommand, type TrayMenuItem, type TrayStatus } from './trayModel.js';

/** The Electron tray drawn from trayModel: this file only translates the model into Tray and Menu calls. */
export class TrayIcon {
  private readonly tray: Tray;
  private status: TrayStatus | null = null;

  constructor(
    private readonly resourcesDir: string,
    private readonly onCommand: (command: TrayCommand) => void,
    private readonly onOpenPath: (drivePath: string) => void,
  ) {
    this.tray = new Tray(this.image('signed_out'));
    nativeTheme.on('updated', () => this.redraw());
  }

  show(status: TrayStatus): void {
    this.status = status;
    this.redraw();
  }

  destroy(): void {
    this.tray.destroy();
  }

  private redraw(): void {
    if (this.status === null) return;
    const model = trayModel(this.status);
    this.tray.setImage(this.image(model.icon));
    this.tray.setToolTip(model.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(model.menu.map((item) => this.menuItem(item))));
  }

  private image(icon: Parameters<typeof trayIconFile>[0]) {
    return nativeImage.createFromPath(join(this.resourcesDir, trayIconFile(icon, process.platform, nativeTheme.shouldUseDarkColors)));
  }

  private menuItem(item: TrayMenuItem): MenuItemConstructorOptions {
    switch (item.kind) {
      case 'status': return { label: item.label, enabled: false };
      case 'separator': return { type: 'separator' };
      case 'command': return { label: item.label, enabled: item.enabled, click: () => this.onCommand(item.command) };
      case 'submenu': return { label: item.label, submenu: item.items.map((entry) => ({ label: entry.label, click: () => this.onOpenPath(entry.path) })) };
    }
  }
}
