import { useEffect, useRef, useState, type ReactNode } from 'react';

interface VirtualListProps<T> {
  items: readonly T[];
  /** Every row has this height in pixels; that is what makes windowing cheap. */
  rowHeight: number;
  itemKey: (item: T) => string;
  renderRow: (item: T, index: number) => ReactNode;
  label: string;
  /** Rows rendered beyond the visible ones, so fast scrolling shows no gaps. */
  overscan?: number;
}

/**
 * A scrolling list that renders only the rows in view (plus a few), so ten
 * thousand queued transfers cost as much as twenty. Rows are placed with
 * transforms inside a spacer as tall as the whole list.
 */
export function VirtualList<T>({ items, rowHeight, itemKey, renderRow, label, overscan = 6 }: VirtualListProps<T>) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(0);

  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    setHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let index = first; index < last; index++) {
    const item = items[index] as T;
    rows.push(
      <div key={itemKey(item)} role="listitem" className="virtual-row" aria-setsize={items.length} aria-posinset={index + 1}
        style={{ transform: `translateY(${index * rowHeight}px)`, height: `${rowHeight}px` }}>
        {renderRow(item, index)}
      </div>,
    );
  }
  return (
    <div ref={viewport} className="virtual-viewport" tabIndex={0} aria-label={label}
      // As tall as the rows, up to the stylesheet's max-height; then it scrolls.
      style={{ height: `${items.length * rowHeight + 2}px` }}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}>
      <div role="list" aria-label={label} className="virtual-spacer" style={{ height: `${items.length * rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
