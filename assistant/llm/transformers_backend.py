"""The `transformers` backend: an in-process LangChain chat model (fallback, fine-tuning, eval)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


@dataclass
class LoadedModel:
    """A model and its tokenizer, loaded once per process; `lock` serializes generation on it."""

    model: Any
    tokenizer: Any
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[tuple[str, str | None], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()


def load_model(model_path: str, adapter_path: str | None = None) -> LoadedModel:
    """The model at `model_path` (+ the PEFT adapter), loaded on first call and cached per process."""
    key = (str(model_path), str(adapter_path) if adapter_path else None)
    with _LOAD_LOCK:
        if key not in _LOADED:
            _LOADED[key] = _load(*key)
        return _LOADED[key]


def _load(model_path: str, adapter_path: str | None) -> LoadedModel:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if not tokenizer.chat_template:
        msg = f"The tokenizer in {model_path} has no chat template; the chat backend needs one."
        raise ValueError(msg)
    model: Any = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    if adapter_path:
        from peft import PeftModel

        # PEFT injects LoRA layers into this model object, so base and adapter are loaded apart.
        model = PeftModel.from_pretrained(model, adapter_path)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer)


def _cancel_criteria(event: threading.Event) -> Any:
    """A stopping criterion that ends generation once `event` is set (the reader went away)."""
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Cancelled(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            return event.is_set()

    return StoppingCriteriaList([_Cancelled()])


def _finished(new_ids: Any, eos_id: int | None, max_new: int) -> bool:
    """True when generation ended on EOS or the token budget, not on the time limit."""
    return len(new_ids) >= max_new or (len(new_ids) > 0 and int(new_ids[-1]) == eos_id)


def _cut(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """Text up to the first stop string, and whether one was found."""
    ends = [text.find(s) for s in stop or [] if s and s in text]
    return (text[: min(ends)], True) if ends else (text, False)


class TransformersChatModel(BaseChatModel):
    """A chat model running in this process with transformers (+ optional PEFT adapter); greedy by default."""

    model_path: str
    adapter_path: str | None = None
    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    timeout_s: float | None = 60.0

    @property
    def _llm_type(self) -> str:
        return "shopassist-transformers"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "adapter_path": self.adapter_path}

    def load(self) -> LoadedModel:
        """Load (once per process) and return the model."""
        return load_model(self.model_path, self.adapter_path)

    def _inputs(self, loaded: LoadedModel, messages: list[BaseMessage]) -> Any:
        from langchain_core.messages import convert_to_openai_messages

        chat = [
            {"role": m["role"], "content": m.get("content") or ""}
            for m in convert_to_openai_messages(messages)
        ]
        return loaded.tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def _gen_kwargs(self, loaded: LoadedModel, stop: list[str] | None, kw: dict) -> dict:
        temperature = kw.get("temperature", self.temperature)
        gen = {
            "max_new_tokens": kw.get("max_tokens", kw.get("max_new_tokens", self.max_new_tokens)),
            "do_sample": temperature > 0,
            "pad_token_id": loaded.tokenizer.pad_token_id or loaded.tokenizer.eos_token_id,
        }
        if temperature > 0:
            gen.update(temperature=temperature, top_p=kw.get("top_p", self.top_p))
        else:  # silence "generation flags are not valid" when the saved config carries sampling
            gen.update(temperature=None, top_p=None, top_k=None)
        if kw.get("min_tokens"):  # as vLLM's min_tokens: no EOS before this many tokens
            gen["min_new_tokens"] = kw["min_tokens"]
        if self.timeout_s:
            gen["max_time"] = self.timeout_s
        if stop:
            gen.update(stop_strings=list(stop), tokenizer=loaded.tokenizer)
        return gen

    def _check_time(self, started: float, finished_naturally: bool) -> None:
        if (
            self.timeout_s
            and not finished_naturally
            and time.monotonic() - started >= self.timeout_s
        ):
            msg = f"generation exceeded the LLM timeout of {self.timeout_s:g} s"
            raise TimeoutError(msg)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        import torch

        loaded = self.load()
        inputs = self._inputs(loaded, messages)
        gen = self._gen_kwargs(loaded, stop, kwargs)
        with loaded.lock, torch.inference_mode():
            started = time.monotonic()
            out = loaded.model.generate(**inputs, **gen)
        new = out[0, inputs["input_ids"].shape[1] :]
        done = _finished(new, loaded.tokenizer.eos_token_id, gen["max_new_tokens"])
        text, stopped = _cut(loaded.tokenizer.decode(new, skip_special_tokens=True), stop)
        self._check_time(started, done or stopped)
        n_in, n_out = int(inputs["input_ids"].shape[1]), len(new)
        usage = {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}
        message = AIMessage(content=text, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import TextIteratorStreamer

        loaded = self.load()
        inputs = self._inputs(loaded, messages)
        gen = self._gen_kwargs(loaded, stop, kwargs)
        streamer = TextIteratorStreamer(
            loaded.tokenizer, skip_prompt=True, skip_special_tokens=True
        )
        errors: list[BaseException] = []
        cancel, started = threading.Event(), [0.0]
        worker = threading.Thread(
            target=self._stream_worker,
            args=(loaded, inputs, gen, streamer, cancel, errors, started),
            daemon=True,
            name="llm-stream",
        )
        worker.start()
        text, stopped = "", False
        try:
            for piece in streamer:
                emitted = len(text)
                text, stopped = _cut(text + piece, stop)
                if len(text) > emitted:
                    delta = text[emitted:]
                    if run_manager:
                        run_manager.on_llm_new_token(delta)
                    yield ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if stopped:
                    break
        finally:
            cancel.set()  # the reader stopped (done, stop string, or gone): free the model
            worker.join()
        if errors:
            raise errors[0]
        self._check_time(started[0], stopped or self._ended_naturally(streamer))

    @staticmethod
    def _ended_naturally(streamer: Any) -> bool:
        # TextIteratorStreamer has no token count; the worker records it on the streamer.
        return getattr(streamer, "shopassist_done", True)

    @staticmethod
    def _stream_worker(loaded, inputs, gen, streamer, cancel, errors, started) -> None:  # noqa: ANN001
        import torch

        try:
            with loaded.lock, torch.inference_mode():
                started[0] = time.monotonic()
                out = loaded.model.generate(
                    **inputs, **gen, streamer=streamer, stopping_criteria=_cancel_criteria(cancel)
                )
            new = out[0, inputs["input_ids"].shape[1] :]
            done = _finished(new, loaded.tokenizer.eos_token_id, gen["max_new_tokens"])
            streamer.shopassist_done = done
        except BaseException as exc:  # handed to the reader, which re-raises it
            errors.append(exc)
            streamer.end()
