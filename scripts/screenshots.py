#!/usr/bin/env python3
"""Take the console and report screenshots shown in README.md and docs/CONSOLE.md (docs/img/*.png).

Usage: scripts/screenshots.py MODEL_DIR [OTHER_MODEL_DIR]   (models trained with --item-titles look best)
Starts `seqrec serve` on a free loopback port, drives headless Chromium (Debian chromium-driver and
python3-selenium) and writes docs/img/console.png and docs/img/report.png (palette PNGs, a few 10 KiB).
"""
# 文档用的截图：控制台的 Try it 视图（模型的前三个有标题的物品作为历史）与两个模型的报告。
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEQREC = os.path.join(ROOT, "build", "seqrec")


def save(png, path, width):
    """Shrink to width pixels and store as a 64-colour palette PNG."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img = img.resize((width, int(img.height * width / img.width)), Image.LANCZOS)
    img.quantize(64).save(path, optimize=True)
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KiB)")


def main():
    models = sys.argv[1:]
    if not models:
        sys.exit(__doc__)
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--window-size=1100,900", "--hide-scrollbars"]:
        o.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = subprocess.Popen([SEQREC, "serve", "--model", models[0], "--host", "127.0.0.1", "--port", str(port)],
                           stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        titles = json.load(open(os.path.join(models[0], "item_titles.json")))
        d.get(f"http://127.0.0.1:{port}/console")
        WebDriverWait(d, 20).until(lambda b: "items" in b.find_element(By.ID, "model-meta").text)
        d.find_element(By.ID, "try-history").send_keys("\n".join(list(titles.values())[:3]))
        d.find_element(By.ID, "try-submit").click()
        WebDriverWait(d, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#recommendations tbody tr"))
        save(d.get_screenshot_as_png(), os.path.join(ROOT, "docs", "img", "console.png"), 800)
        out = os.path.join(tempfile.mkdtemp(), "report.html")
        subprocess.run([SEQREC, "report", "--out", out] + [a for m in models for a in ("--model", m)], check=True,
                       stdout=subprocess.DEVNULL)
        d.set_window_size(1100, 1500)
        d.get("file://" + out)
        WebDriverWait(d, 20).until(lambda b: len(b.find_elements(By.TAG_NAME, "canvas")) >= 3)
        d.execute_script("document.getElementById('curves').scrollIntoView()")
        save(d.get_screenshot_as_png(), os.path.join(ROOT, "docs", "img", "report.png"), 800)
    finally:
        srv.terminate()
        d.quit()


if __name__ == "__main__":
    main()
