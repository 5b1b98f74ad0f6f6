# `make demo` and `make test` set up .venv on a fresh machine, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: demo test install bench clean

$(STAMP): setup.py setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[train,test,dask]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tfds build tfds_builders/synthetic_notes --config tiny --beam_pipeline_options="runner=FnApiRunner"
	$(BIN)/pitchfit notes --config tiny --count 3 -o demo_output
	$(BIN)/pitchfit train configs/demo.yaml --save-dir runs/demo
	$(BIN)/pitchfit predict --plot demo_output/*.wav -o demo_output

# One pytest process. (pYIN's segfaults came from numba's cache shared by
# processes compiling at once, not from TensorFlow: tests/conftest.py gives
# each pytest process a numba cache of its own.)
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf demo_output runs

# Real-sounding, unlabelled audio for finetuning (needs Debian's fluidsynth and
# fluid-soundfont-gm): 30 minutes of melodies in data/finetune_audio/.
.PHONY: finetune-audio
finetune-audio: $(STAMP)
	$(BIN)/python tools/render_melodies.py --out data/finetune_audio
